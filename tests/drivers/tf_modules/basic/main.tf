# A module with plain and sensitive variables and outputs, using only what Terraform
# has built in (no provider downloads).

variable "name" {
  type = string
}

variable "size" {
  type    = number
  default = 1
}

variable "token" {
  type      = string
  sensitive = true
}

resource "terraform_data" "this" {
  input = {
    name = var.name
    size = var.size
  }
}

locals {
  greeting = "hello ${var.name}"
}

output "greeting" {
  value = local.greeting
}

output "id" {
  value = terraform_data.this.id
}

output "size" {
  value = terraform_data.this.output.size
}

output "token" {
  value     = var.token
  sensitive = true
}

output "connection" {
  value     = "${var.name}:${var.token}"
  sensitive = true
}
